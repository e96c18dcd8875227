"""Where synthetic dossiers happen: the metropolitan regions, their departments, towns and institutions."""

from dataclasses import dataclass

from core.regions import Region


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    towns: tuple[str, ...]


@dataclass(frozen=True)
class Place:
    region: Region
    # Rough share of the country's social housing, so that Île-de-France has many more dossiers than Corse.
    weight: float
    abbreviation: str
    departments: tuple[Department, ...]


def _departments(*rows: tuple[str, str, str]) -> tuple[Department, ...]:
    return tuple(Department(code, name, tuple(towns.split(", "))) for code, name, towns in rows)


PLACES = (
    Place(
        Region.ILE_DE_FRANCE,
        24,
        "Île-de-France",
        _departments(
            ("75", "Paris", "Paris"),
            ("77", "Seine-et-Marne", "Melun, Meaux, Chelles"),
            ("78", "Yvelines", "Versailles, Mantes-la-Jolie, Trappes"),
            ("91", "Essonne", "Évry-Courcouronnes, Corbeil-Essonnes, Massy"),
            ("92", "Hauts-de-Seine", "Nanterre, Gennevilliers, Colombes"),
            ("93", "Seine-Saint-Denis", "Bobigny, Saint-Denis, Montreuil, Aubervilliers"),
            ("94", "Val-de-Marne", "Créteil, Vitry-sur-Seine, Champigny-sur-Marne"),
            ("95", "Val-d'Oise", "Cergy, Argenteuil, Sarcelles"),
        ),
    ),
    Place(
        Region.CENTRE_VAL_DE_LOIRE,
        4,
        "Centre-Val de Loire",
        _departments(
            ("18", "Cher", "Bourges, Vierzon"),
            ("28", "Eure-et-Loir", "Chartres, Dreux"),
            ("36", "Indre", "Châteauroux, Issoudun"),
            ("37", "Indre-et-Loire", "Tours, Joué-lès-Tours"),
            ("41", "Loir-et-Cher", "Blois, Romorantin-Lanthenay"),
            ("45", "Loiret", "Orléans, Montargis"),
        ),
    ),
    Place(
        Region.BOURGOGNE_FRANCHE_COMTE,
        4,
        "BFC",
        _departments(
            ("21", "Côte-d'Or", "Dijon, Beaune"),
            ("25", "Doubs", "Besançon, Montbéliard"),
            ("39", "Jura", "Lons-le-Saunier, Dole"),
            ("58", "Nièvre", "Nevers"),
            ("70", "Haute-Saône", "Vesoul"),
            ("71", "Saône-et-Loire", "Mâcon, Chalon-sur-Saône, Le Creusot"),
            ("89", "Yonne", "Auxerre, Sens"),
            ("90", "Territoire de Belfort", "Belfort"),
        ),
    ),
    Place(
        Region.NORMANDIE,
        5,
        "Normandie",
        _departments(
            ("14", "Calvados", "Caen, Lisieux"),
            ("27", "Eure", "Évreux, Vernon"),
            ("50", "Manche", "Saint-Lô, Cherbourg-en-Cotentin"),
            ("61", "Orne", "Alençon, Flers"),
            ("76", "Seine-Maritime", "Rouen, Le Havre, Dieppe"),
        ),
    ),
    Place(
        Region.HAUTS_DE_FRANCE,
        11,
        "Hauts-de-France",
        _departments(
            ("02", "Aisne", "Laon, Saint-Quentin, Soissons"),
            ("59", "Nord", "Lille, Roubaix, Tourcoing, Dunkerque, Valenciennes"),
            ("60", "Oise", "Beauvais, Creil, Compiègne"),
            ("62", "Pas-de-Calais", "Arras, Lens, Calais, Boulogne-sur-Mer"),
            ("80", "Somme", "Amiens, Abbeville"),
        ),
    ),
    Place(
        Region.GRAND_EST,
        9,
        "Grand Est",
        _departments(
            ("08", "Ardennes", "Charleville-Mézières, Sedan"),
            ("10", "Aube", "Troyes"),
            ("51", "Marne", "Reims, Châlons-en-Champagne"),
            ("52", "Haute-Marne", "Chaumont, Saint-Dizier"),
            ("54", "Meurthe-et-Moselle", "Nancy, Lunéville"),
            ("55", "Meuse", "Bar-le-Duc, Verdun"),
            ("57", "Moselle", "Metz, Thionville, Forbach"),
            ("67", "Bas-Rhin", "Strasbourg, Haguenau"),
            ("68", "Haut-Rhin", "Mulhouse, Colmar"),
            ("88", "Vosges", "Épinal, Saint-Dié-des-Vosges"),
        ),
    ),
    Place(
        Region.PAYS_DE_LA_LOIRE,
        5,
        "Pays de la Loire",
        _departments(
            ("44", "Loire-Atlantique", "Nantes, Saint-Nazaire"),
            ("49", "Maine-et-Loire", "Angers, Cholet"),
            ("53", "Mayenne", "Laval"),
            ("72", "Sarthe", "Le Mans"),
            ("85", "Vendée", "La Roche-sur-Yon, Les Sables-d'Olonne"),
        ),
    ),
    Place(
        Region.BRETAGNE,
        4,
        "Bretagne",
        _departments(
            ("22", "Côtes-d'Armor", "Saint-Brieuc, Lannion"),
            ("29", "Finistère", "Brest, Quimper"),
            ("35", "Ille-et-Vilaine", "Rennes, Saint-Malo"),
            ("56", "Morbihan", "Vannes, Lorient"),
        ),
    ),
    Place(
        Region.NOUVELLE_AQUITAINE,
        8,
        "Nouvelle-Aquitaine",
        _departments(
            ("16", "Charente", "Angoulême, Cognac"),
            ("17", "Charente-Maritime", "La Rochelle, Rochefort"),
            ("19", "Corrèze", "Tulle, Brive-la-Gaillarde"),
            ("23", "Creuse", "Guéret"),
            ("24", "Dordogne", "Périgueux, Bergerac"),
            ("33", "Gironde", "Bordeaux, Mérignac, Libourne"),
            ("40", "Landes", "Mont-de-Marsan, Dax"),
            ("47", "Lot-et-Garonne", "Agen, Villeneuve-sur-Lot"),
            ("64", "Pyrénées-Atlantiques", "Pau, Bayonne"),
            ("79", "Deux-Sèvres", "Niort"),
            ("86", "Vienne", "Poitiers, Châtellerault"),
            ("87", "Haute-Vienne", "Limoges"),
        ),
    ),
    Place(
        Region.OCCITANIE,
        8,
        "Occitanie",
        _departments(
            ("09", "Ariège", "Foix, Pamiers"),
            ("11", "Aude", "Carcassonne, Narbonne"),
            ("12", "Aveyron", "Rodez, Millau"),
            ("30", "Gard", "Nîmes, Alès"),
            ("31", "Haute-Garonne", "Toulouse, Colomiers"),
            ("32", "Gers", "Auch"),
            ("34", "Hérault", "Montpellier, Béziers, Sète"),
            ("46", "Lot", "Cahors"),
            ("48", "Lozère", "Mende"),
            ("65", "Hautes-Pyrénées", "Tarbes"),
            ("66", "Pyrénées-Orientales", "Perpignan"),
            ("81", "Tarn", "Albi, Castres"),
            ("82", "Tarn-et-Garonne", "Montauban"),
        ),
    ),
    Place(
        Region.AUVERGNE_RHONE_ALPES,
        12,
        "AURA",
        _departments(
            ("01", "Ain", "Bourg-en-Bresse, Oyonnax"),
            ("03", "Allier", "Moulins, Montluçon, Vichy"),
            ("07", "Ardèche", "Privas, Annonay"),
            ("15", "Cantal", "Aurillac"),
            ("26", "Drôme", "Valence, Montélimar"),
            ("38", "Isère", "Grenoble, Échirolles, Vienne"),
            ("42", "Loire", "Saint-Étienne, Roanne"),
            ("43", "Haute-Loire", "Le Puy-en-Velay"),
            ("63", "Puy-de-Dôme", "Clermont-Ferrand, Riom"),
            ("69", "Rhône", "Lyon, Villeurbanne, Vénissieux, Vaulx-en-Velin"),
            ("73", "Savoie", "Chambéry, Aix-les-Bains"),
            ("74", "Haute-Savoie", "Annecy, Annemasse"),
        ),
    ),
    Place(
        Region.PROVENCE_ALPES_COTE_D_AZUR,
        8,
        "PACA",
        _departments(
            ("04", "Alpes-de-Haute-Provence", "Digne-les-Bains, Manosque"),
            ("05", "Hautes-Alpes", "Gap, Briançon"),
            ("06", "Alpes-Maritimes", "Nice, Cannes, Grasse"),
            ("13", "Bouches-du-Rhône", "Marseille, Aix-en-Provence, Arles, Martigues"),
            ("83", "Var", "Toulon, Hyères, Fréjus, La Seyne-sur-Mer"),
            ("84", "Vaucluse", "Avignon, Carpentras, Cavaillon"),
        ),
    ),
    Place(
        Region.CORSE,
        0.6,
        "Corse",
        _departments(("2A", "Corse-du-Sud", "Ajaccio, Porto-Vecchio"), ("2B", "Haute-Corse", "Bastia, Corte")),
    ),
)


@dataclass(frozen=True)
class Institution:
    name: str
    short_name: str
    letterhead: str


def ar_hlm(place: Place) -> Institution:
    """The regional association of social landlords; Corse's is PACA's, as in the real programme."""
    if place.region == Region.ILE_DE_FRANCE:
        name = "AORIF – L'Union sociale pour l'habitat d'Île-de-France"
        return Institution(name, "AORIF", name)
    if place.region in (Region.PROVENCE_ALPES_COTE_D_AZUR, Region.CORSE):
        return Institution(
            "Association régionale des organismes Hlm de Provence-Alpes-Côte d'Azur et Corse",
            "AR Hlm PACA & Corse",
            "ASSOCIATION REGIONALE DES ORGANISMES\nHLM DE PROVENCE-ALPES-COTE D'AZUR\nET CORSE",
        )
    label = place.region.label
    return Institution(
        f"Association régionale des organismes Hlm {label}",
        f"AR Hlm {place.abbreviation}",
        f"ASSOCIATION REGIONALE DES ORGANISMES\nHLM {label.upper()}",
    )


def state_service(place: Place) -> Institution:
    label = place.region.label
    if place.region == Region.ILE_DE_FRANCE:
        name = "Direction régionale et interdépartementale de l'hébergement et du logement d'Île-de-France"
        return Institution(name, "DRIHL Île-de-France", name)
    return Institution(
        f"Direction régionale de l'environnement, de l'aménagement et du logement {label}",
        f"DREAL {place.abbreviation}",
        f"DIRECTION REGIONALE\nDE L'ENVIRONNEMENT, DE L'AMENAGEMENT\nET DU LOGEMENT\n{label.upper()}",
    )
