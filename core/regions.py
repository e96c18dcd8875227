"""French regions (INSEE codes) and the names documents use for them."""

import unicodedata

from django.db import models

from core.text import fold


class Region(models.TextChoices):
    GUADELOUPE = "01", "Guadeloupe"
    MARTINIQUE = "02", "Martinique"
    GUYANE = "03", "Guyane"
    LA_REUNION = "04", "La Réunion"
    MAYOTTE = "06", "Mayotte"
    ILE_DE_FRANCE = "11", "Île-de-France"
    CENTRE_VAL_DE_LOIRE = "24", "Centre-Val de Loire"
    BOURGOGNE_FRANCHE_COMTE = "27", "Bourgogne-Franche-Comté"
    NORMANDIE = "28", "Normandie"
    HAUTS_DE_FRANCE = "32", "Hauts-de-France"
    GRAND_EST = "44", "Grand Est"
    PAYS_DE_LA_LOIRE = "52", "Pays de la Loire"
    BRETAGNE = "53", "Bretagne"
    NOUVELLE_AQUITAINE = "75", "Nouvelle-Aquitaine"
    OCCITANIE = "76", "Occitanie"
    AUVERGNE_RHONE_ALPES = "84", "Auvergne-Rhône-Alpes"
    PROVENCE_ALPES_COTE_D_AZUR = "93", "Provence-Alpes-Côte d'Azur"
    CORSE = "94", "Corse"


# Abbreviations seen in letterheads and titles ("DREAL PACA", "AR Hlm AURA"), and the names of the
# regions before the 2016 merger, which older calls still use.
ALIASES = {
    "paca": Region.PROVENCE_ALPES_COTE_D_AZUR,
    "idf": Region.ILE_DE_FRANCE,
    "aura": Region.AUVERGNE_RHONE_ALPES,
    "ara": Region.AUVERGNE_RHONE_ALPES,
    "bfc": Region.BOURGOGNE_FRANCHE_COMTE,
    "cvl": Region.CENTRE_VAL_DE_LOIRE,
    "hdf": Region.HAUTS_DE_FRANCE,
    "pdl": Region.PAYS_DE_LA_LOIRE,
    "rhone-alpes": Region.AUVERGNE_RHONE_ALPES,
    "auvergne": Region.AUVERGNE_RHONE_ALPES,
    "languedoc-roussillon": Region.OCCITANIE,
    "midi-pyrenees": Region.OCCITANIE,
    "aquitaine": Region.NOUVELLE_AQUITAINE,
    "limousin": Region.NOUVELLE_AQUITAINE,
    "poitou-charentes": Region.NOUVELLE_AQUITAINE,
    "alsace": Region.GRAND_EST,
    "lorraine": Region.GRAND_EST,
    "champagne-ardenne": Region.GRAND_EST,
    "nord-pas-de-calais": Region.HAUTS_DE_FRANCE,
    "picardie": Region.HAUTS_DE_FRANCE,
    "basse-normandie": Region.NORMANDIE,
    "haute-normandie": Region.NORMANDIE,
    "bourgogne": Region.BOURGOGNE_FRANCHE_COMTE,
    "franche-comte": Region.BOURGOGNE_FRANCHE_COMTE,
    "reunion": Region.LA_REUNION,
}


def region_key(text: str) -> str:
    """The form region names are compared in: folded, ASCII only, its words joined by hyphens, so that
    "PROVENCE-ALPES-COTE D'AZUR" is "provence-alpes-cote-d-azur".

    Not one character for one, unlike core.text.fold: a ligature keeps all its letters ("Eﬆ" is "est"), and
    what has no ASCII form is dropped. The typographic apostrophe, as Word types it, is an apostrophe: "d’Azur" is
    "d-azur"."""
    # Decomposed first, so that fold sees each letter of a ligature; the ASCII filter then drops the accents.
    folded = fold(unicodedata.normalize("NFKD", text.replace("’", "'"))).encode("ascii", "ignore").decode()
    return "-".join(folded.replace("'", " ").replace("-", " ").split())


_BY_NAME = {region_key(label): Region(value) for value, label in Region.choices} | ALIASES


def find_region(*texts: str) -> Region | None:
    """The region named first in the first text that names one ("AR Hlm PACA & Corse" is PACA)."""
    for text in texts:
        folded = f"-{region_key(text)}-"
        found = [(folded.find(f"-{name}-"), -len(name), name) for name in _BY_NAME if f"-{name}-" in folded]
        if found:
            return _BY_NAME[min(found)[2]]
    return None


# Short names for file names ("avis-conjoint-paca-2018-v1.pdf").
SHORT_NAMES = {
    Region.PROVENCE_ALPES_COTE_D_AZUR: "paca",
    Region.ILE_DE_FRANCE: "idf",
    Region.AUVERGNE_RHONE_ALPES: "aura",
    Region.BOURGOGNE_FRANCHE_COMTE: "bfc",
    Region.CENTRE_VAL_DE_LOIRE: "cvl",
    Region.HAUTS_DE_FRANCE: "hdf",
    Region.PAYS_DE_LA_LOIRE: "pdl",
    Region.GRAND_EST: "grand-est",
    Region.NOUVELLE_AQUITAINE: "nouvelle-aquitaine",
    Region.OCCITANIE: "occitanie",
    Region.NORMANDIE: "normandie",
    Region.BRETAGNE: "bretagne",
    Region.CORSE: "corse",
    Region.GUADELOUPE: "guadeloupe",
    Region.MARTINIQUE: "martinique",
    Region.GUYANE: "guyane",
    Region.LA_REUNION: "la-reunion",
    Region.MAYOTTE: "mayotte",
}
