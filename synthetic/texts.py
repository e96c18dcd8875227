"""French phrase pools, so that synthetic dossiers read like real ones and a search finds real words.

Texts use the rich-text subset (core/richtext.py): paragraphs, "- " lists, *emphasis* and ^^underline^^.
"""

from dataclasses import dataclass
from random import Random


@dataclass(frozen=True)
class Theme:
    """What a project is about: its publics, how texts name them, its partners and its usual strands."""

    key: str
    weight: int
    publics: tuple[str, ...]
    people: tuple[str, ...]
    titles: tuple[str, ...]
    # Templates filled with the dossier's {department}, {town} and {region}.
    partners: tuple[str, ...]
    # Weights of the strands Accès, Maintien, Mutation.
    strands: tuple[int, int, int]
    context: tuple[str, ...]


THEMES = (
    Theme(
        "autisme",
        9,
        ("personnes autistes", "troubles du spectre autistique", "ménages avec enfants autistes"),
        (
            "des personnes autistes",
            "des adultes avec des troubles du spectre autistique",
            "des familles d'enfants autistes",
        ),
        (
            "Un chez-soi adapté pour les personnes autistes",
            "Autisme et logement ordinaire",
            "Vivre ensemble avec les troubles du spectre autistique",
            "Habiter avec l'autisme",
        ),
        ("Centre ressources autisme {region}", "Sésame Autisme {department}", "Autisme France", "GEM {town}"),
        (5, 4, 1),
        (
            "Les logements sont adaptés aux particularités sensorielles des personnes autistes (isolation phonique, "
            "éclairage, repères visuels).",
            "Les gardiens et chargés de clientèle sont sensibilisés aux troubles du spectre autistique.",
            "Les associations de parents et le centre ressources autisme orientent les ménages et restent présents "
            "après l'entrée dans les lieux.",
            "L'autisme reste mal connu des équipes de proximité, souvent démunies face aux troubles de voisinage.",
        ),
    ),
    Theme(
        "violences",
        12,
        ("femmes victimes de violences", "femmes victimes de violences avec enfants"),
        ("des femmes victimes de violences conjugales", "des mères victimes de violences et leurs enfants"),
        (
            "Protège-toit : un logement pour se reconstruire",
            "Mise à l'abri et relogement des femmes victimes de violences",
            "Un toit pour repartir",
        ),
        ("CIDFF {department}", "Solidarité Femmes {department}", "France Victimes {department}", "SOLiHA {department}"),
        (8, 2, 1),
        (
            "L'objectif est de réduire les délais d'accès au logement des femmes victimes de violences, sans passer "
            "par des étapes successives d'hébergement.",
            "Une formation-action est proposée aux conseillères en économie sociale et familiale et aux chargés "
            "d'attribution.",
            "Un protocole avec les forces de l'ordre et le parquet permet un relogement en urgence.",
        ),
    ),
    Theme(
        "psychique",
        18,
        ("troubles psychiques", "personnes psychiquement fragiles", "troubles psychiques (orientés par des CMP)"),
        ("des personnes souffrant de troubles psychiques", "des locataires psychiquement fragiles"),
        (
            "Situations extraordinaires, logements ordinaires",
            "Santé mentale et logement : agir ensemble",
            "Un logement d'abord pour les personnes souffrant de troubles psychiques",
            "Toi, moi et les autres : accompagner le vivre ensemble",
        ),
        ("GEM {town}", "UNAFAM {department}", "Conseil local de santé mentale de {town}", "SOLiHA {department}"),
        (4, 5, 2),
        (
            "Les ménages sont orientés par les centres médico-psychologiques (CMP) et la psychiatrie de secteur.",
            "Une équipe mobile intervient au domicile dès les premiers signes de décompensation.",
            "Le conseil local de santé mentale réunit chaque mois le bailleur, le secteur psychiatrique et les "
            "associations d'usagers.",
            "Les troubles psychiques sont la première cause des troubles de voisinage signalés aux gardiens.",
        ),
    ),
    Theme(
        "prison",
        7,
        ("sortants de prison", "personnes placées sous main de justice"),
        ("des personnes sortant de prison", "des sortants de détention sans solution de logement"),
        ("Sortir et se loger", "Un logement à la sortie de prison", "Passerelle : de la détention au logement"),
        ("SPIP {department}", "Moissons Nouvelles", "Emmaüs {town}", "Wake up Café"),
        (8, 2, 0),
        (
            "La préparation à la sortie commence six mois avant la libération, avec le service pénitentiaire "
            "d'insertion et de probation.",
            "Un bail glissant sécurise le bailleur pendant les premiers mois.",
            "Le risque de récidive baisse nettement lorsque la sortie de prison se fait vers un logement stable.",
        ),
    ),
    Theme(
        "ase",
        9,
        ("jeunes sortant de l'ASE", "jeunes en fin de contrat jeune majeur (ASE)"),
        ("des jeunes sortant de l'aide sociale à l'enfance", "des jeunes majeurs sortant de l'ASE"),
        ("Premier logement pour les jeunes de l'ASE", "Dix-huit ans, et après ?", "Tremplin logement jeunes"),
        ("services de l'ASE {department}", "Apprentis d'Auteuil", "Mission locale de {town}", "ADSEA {department}"),
        (8, 2, 1),
        (
            "Les jeunes sortant de l'aide sociale à l'enfance se retrouvent trop souvent sans solution à leur "
            "majorité.",
            "Un premier logement en colocation accompagnée précède l'accès à un bail individuel.",
            "La mission locale et les services de l'ASE préparent l'entrée dans le logement dès 17 ans.",
        ),
    ),
    Theme(
        "protection",
        7,
        ("bénéficiaires de la protection internationale",),
        ("des réfugiés statutaires", "des bénéficiaires de la protection internationale"),
        ("Bienvenue chez vous", "Accueillir et loger les réfugiés", "Nouveau départ"),
        ("Forum réfugiés", "France terre d'asile", "Coallia", "Croix-Rouge française {department}"),
        (9, 1, 0),
        (
            "Les ménages quittent les centres d'accueil des demandeurs d'asile pour un logement pérenne.",
            "Des cours de français et un accompagnement vers l'emploi complètent l'accompagnement au logement.",
        ),
    ),
    Theme(
        "monoparentales",
        9,
        ("familles monoparentales vulnérables en hébergement d'urgence", "personnes sans domicile"),
        ("des familles monoparentales hébergées à l'hôtel", "des familles sortant d'hébergement d'urgence"),
        ("De l'hôtel au logement", "Familles : sortir de l'hébergement d'urgence", "Chez nous, enfin"),
        ("SIAO {department}", "Habitat et Humanisme {department}", "Fondation de l'Armée du Salut", "Aurore"),
        (9, 2, 0),
        (
            "Les familles orientées par le SIAO vivent depuis plusieurs années à l'hôtel.",
            "L'accompagnement porte sur la scolarité des enfants, la gestion du budget et l'appropriation du logement.",
        ),
    ),
    Theme(
        "precarite",
        15,
        ("locataires en grande précarité", "ménages menacés d'expulsion"),
        ("des locataires en grande précarité", "des ménages menacés d'expulsion locative"),
        (
            "Prévenir les expulsions, accompagner le maintien",
            "Rester chez soi",
            "Impayés : agir avant l'expulsion",
            "Mutation accompagnée vers un logement adapté",
        ),
        ("SOLiHA {department}", "ADIL {department}", "CCAS de {town}", "Habitat et Humanisme {department}"),
        (1, 8, 4),
        (
            "Le projet vise à éviter l'expulsion, mais aussi à améliorer les conditions de vie du ménage, en lui "
            "permettant notamment d'envisager une mutation.",
            "Les ménages sont repérés dès le deuxième mois d'impayé par les chargés de recouvrement.",
            "Une mutation vers un logement moins cher est proposée lorsque le loyer dépasse les ressources du ménage.",
        ),
    ),
    Theme(
        "addictions",
        6,
        ("personnes souffrant d'addictions",),
        ("des personnes souffrant d'addictions", "des locataires en situation de dépendance à l'alcool"),
        ("Habiter malgré l'addiction", "Un toit d'abord, le soin ensuite"),
        ("CSAPA de {town}", "Addictions France {department}", "Oppelia"),
        (5, 5, 1),
        (
            "Le CSAPA assure le suivi médical tandis que le bailleur garantit le maintien dans les lieux.",
            "La réduction des risques est préférée à l'exigence d'abstinence avant l'entrée dans le logement.",
        ),
    ),
    Theme(
        "isolement",
        8,
        ("personnes âgées isolées", "personnes en situation de handicap psychique"),
        ("des personnes âgées isolées", "des locataires vieillissants en perte d'autonomie"),
        ("Bien vieillir chez soi", "Rompre l'isolement des locataires âgés"),
        ("Petits Frères des Pauvres", "CCAS de {town}", "SAVS de {town}"),
        (1, 8, 3),
        (
            "Les locataires âgés isolés sont repérés par les gardiens lors des visites de courtoisie.",
            "Une mutation vers un logement de plain-pied est proposée lorsque l'état de santé l'exige.",
        ),
    ),
)

SLOGANS = (
    "Pas à pas",
    "Clés en main",
    "Un toit, un cap",
    "Trait d'union",
    "Fil rouge",
    "Boussole",
    "Cap logement",
    "Habiter, s'insérer",
    "Logement d'abord",
    "Ensemble vers le logement",
)

METHODS = (
    "Chaque ménage a un référent unique, joignable par téléphone et présent lors des visites à domicile.",
    "L'accompagnement est renforcé les six premiers mois, puis allégé à mesure que le ménage s'approprie son logement.",
    "Les équipes de proximité du bailleur sont formées et disposent d'un interlocuteur associatif pour chaque "
    "situation difficile.",
    "Une commission partenariale se réunit chaque trimestre pour examiner les situations bloquées.",
    "Le projet mobilise des logements du parc diffus, hors des quartiers les plus fragiles.",
)

EVALUATIONS = (
    "Une évaluation annuelle mesure les entrées dans le logement, les expulsions évitées et les mutations réalisées.",
    "Un comité de suivi réunit les partenaires deux fois par an ; un bilan qualitatif recueille la parole des ménages.",
    "Les indicateurs sont suivis ménage par ménage : durée d'accompagnement, incidents, maintien dans les lieux à "
    "un an.",
    "Une évaluation externe est confiée à un cabinet spécialisé au terme de la troisième année.",
)

QUESTION_OPENINGS = (
    "Le projet s'inscrit dans la continuité des actions conduites par le bailleur sur son patrimoine.",
    "Le dossier est complet et le partenariat est solidement décrit.",
    "Nouveau partenariat bailleur/association pour favoriser l'accès et le maintien dans le logement.",
    "Le projet répond à un besoin identifié par le plan départemental d'action pour le logement et "
    "l'hébergement des personnes défavorisées.",
)

QUESTION_POINTS = (
    "les modalités d'*orientation* des ménages",
    "la répartition des rôles entre le bailleur et l'opérateur",
    "la ^^durée^^ de l'accompagnement au-delà du financement",
    "le coût par ménage accompagné",
    "la mobilisation effective des logements",
    "l'articulation avec le SIAO",
    "les indicateurs d'évaluation retenus",
)

QUESTION_CLOSINGS = (
    "Le ^^plan de financement^^ devra être précisé avant la signature de la convention.",
    "Le comité souhaite un *point d'étape* à l'issue de la première année.",
    "La capacité à essaimer la démarche dans le reste du patrimoine reste à démontrer.",
)

REMARKS = {
    "favorable": (
        "Un projet porteur, avec un partenariat ancré localement et un public prioritaire.",
        "Projet innovant qui prend en compte un nouveau public ; le comité le soutient sans réserve.",
        "Un projet réorienté en fonction des enseignements du précédent appel à projets.",
        "Projet solide, bien dimensionné et dont l'évaluation est sérieusement prévue.",
    ),
    "reserve": (
        "*Avis réservé* : le projet est intéressant mais très ambitieux quantitativement.",
        "Le comité émet des réserves sur le coût par famille, élevé au regard des objectifs.",
        "Malgré un objectif modeste, le projet mérite d'être soutenu sous réserve d'un partenariat formalisé.",
    ),
    "defavorable": (
        "Projet insuffisamment abouti : le public et les modalités d'accompagnement restent flous.",
        "Le projet relève du droit commun de l'accompagnement social et non de l'innovation attendue.",
        "Le partenariat annoncé n'est pas confirmé par les opérateurs.",
    ),
}
OVER_CAP = "La somme demandée dépasse le plafond FSI."

CONDITIONS = (
    "Transmettre la convention de partenariat signée avec l'opérateur avant le premier versement.",
    "Montant ajusté au plafond par projet.",
    "Le premier bilan devra détailler le nombre de ménages entrés dans le logement.",
    "Préciser le cofinancement des collectivités avant la signature de la convention.",
)

RETURNS = (
    "Il manque le budget prévisionnel par année et par financeur.",
    "Le nombre de ménages par volet ne correspond pas au total annoncé : merci de corriger.",
    "Merci de joindre la lettre d'engagement de l'association partenaire.",
    "Les territoires d'intervention ne sont pas précisés.",
)

REPORT_COMMENTS = (
    "Les entrées dans le logement ont pris du retard au premier semestre, faute de logements adaptés disponibles.",
    "Les objectifs sont atteints ; deux ménages ont quitté le dispositif avant son terme.",
    "Le partenariat fonctionne bien ; les gardiens signalent plus tôt les situations fragiles.",
    "Une rotation de l'équipe associative a ralenti l'accompagnement pendant trois mois.",
)

RETURNED_REPORT = "Merci de détailler les dépenses par financeur."

QPV_NAMES = ("Centre ancien", "Les Tilleuls", "La Roseraie", "Les Bleuets", "Le Plateau", "La Source", "Les Peupliers")

OTHER_FUNDERS = ("Fondation Abbé Pierre", "Caisse d'allocations familiales", "Agence régionale de santé")


def join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} et {items[-1]}"


def title(rng: Random, theme: Theme, town: str) -> str:
    form = rng.random()
    if form < 0.2:
        return f"« {rng.choice(SLOGANS).upper()} »"
    if form < 0.6:
        return f"{rng.choice(SLOGANS)} : {rng.choice(theme.titles).lower()}"
    return f"{rng.choice(theme.titles)} – {town}"


def summary(
    rng: Random,
    *,
    theme: Theme,
    landlord: str,
    households: int,
    years: int,
    strands: list[str],
    place: str,
    partners: list[str],
    renews: str,
) -> str:
    paragraphs = [
        f"{landlord} accompagne {households} ménages sur {years} an{'s' if years > 1 else ''} : "
        f"{rng.choice(theme.people)}, {place}. Volets : {join(strands)}.",
        " ".join(rng.sample(theme.context, min(2, len(theme.context)))),
    ]
    if partners:
        paragraphs.append(f"Le projet s'appuie sur {join(partners)}. {rng.choice(METHODS)}")
    if renews:
        paragraphs.append(f"Il prolonge le projet « {renews} », dont il reprend les enseignements.")
    return "\n\n".join(paragraphs)


def evaluation_plan(rng: Random) -> str:
    return " ".join(rng.sample(EVALUATIONS, 2))


def questions(rng: Random, theme: Theme) -> str:
    paragraphs = [f"{rng.choice(QUESTION_OPENINGS)} {rng.choice(theme.context)}"]
    if rng.random() < 0.5:
        points = rng.sample(QUESTION_POINTS, rng.randint(2, 3))
        items = "\n".join(f"- {point} ;" for point in points[:-1])
        paragraphs.append(f"Le comité s'interroge sur :\n\n{items}\n- {points[-1]}.")
    if rng.random() < 0.4:
        paragraphs.append(rng.choice(QUESTION_CLOSINGS))
    return "\n\n".join(paragraphs)


def remarks(rng: Random, verdict: str, over_cap: bool) -> str:
    text = rng.choice(REMARKS[verdict])
    return f"{text}\n\n{OVER_CAP}" if over_cap else text
