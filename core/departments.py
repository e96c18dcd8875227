"""The French departments (INSEE codes and names, the 101 of 2024), and the department a user means: by its name,
its number, or a commune given with its postal or INSEE code.

No register of communes is shipped: a commune's department is read from the code written with it ("Marseille
(13001)", "2A004 Ajaccio"), as the codes are built. Postal codes of Corsica start with 20: 20000 to 20199 are in
Corse-du-Sud, 20200 and above in Haute-Corse. A few communes have the postal code of a neighbouring department's
office; written with their INSEE code, they are read right.
"""

import re

from core.text import fold

DEPARTMENTS = {
    "01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence", "05": "Hautes-Alpes",
    "06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes", "09": "Ariège", "10": "Aube", "11": "Aude",
    "12": "Aveyron", "13": "Bouches-du-Rhône", "14": "Calvados", "15": "Cantal", "16": "Charente",
    "17": "Charente-Maritime", "18": "Cher", "19": "Corrèze", "2A": "Corse-du-Sud", "2B": "Haute-Corse",
    "21": "Côte-d'Or", "22": "Côtes-d'Armor", "23": "Creuse", "24": "Dordogne", "25": "Doubs", "26": "Drôme",
    "27": "Eure", "28": "Eure-et-Loir", "29": "Finistère", "30": "Gard", "31": "Haute-Garonne", "32": "Gers",
    "33": "Gironde", "34": "Hérault", "35": "Ille-et-Vilaine", "36": "Indre", "37": "Indre-et-Loire", "38": "Isère",
    "39": "Jura", "40": "Landes", "41": "Loir-et-Cher", "42": "Loire", "43": "Haute-Loire", "44": "Loire-Atlantique",
    "45": "Loiret", "46": "Lot", "47": "Lot-et-Garonne", "48": "Lozère", "49": "Maine-et-Loire", "50": "Manche",
    "51": "Marne", "52": "Haute-Marne", "53": "Mayenne", "54": "Meurthe-et-Moselle", "55": "Meuse", "56": "Morbihan",
    "57": "Moselle", "58": "Nièvre", "59": "Nord", "60": "Oise", "61": "Orne", "62": "Pas-de-Calais",
    "63": "Puy-de-Dôme", "64": "Pyrénées-Atlantiques", "65": "Hautes-Pyrénées", "66": "Pyrénées-Orientales",
    "67": "Bas-Rhin", "68": "Haut-Rhin", "69": "Rhône", "70": "Haute-Saône", "71": "Saône-et-Loire", "72": "Sarthe",
    "73": "Savoie", "74": "Haute-Savoie", "75": "Paris", "76": "Seine-Maritime", "77": "Seine-et-Marne",
    "78": "Yvelines", "79": "Deux-Sèvres", "80": "Somme", "81": "Tarn", "82": "Tarn-et-Garonne", "83": "Var",
    "84": "Vaucluse", "85": "Vendée", "86": "Vienne", "87": "Haute-Vienne", "88": "Vosges", "89": "Yonne",
    "90": "Territoire de Belfort", "91": "Essonne", "92": "Hauts-de-Seine", "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne", "95": "Val-d'Oise",
    "971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte",
}  # fmt: skip

# A department as "Bouches-du-Rhône (13)": how lists and the department field show it.
CHOICES = [(code, f"{name} ({code})") for code, name in DEPARTMENTS.items()]

EXPECTED = (
    "indiquez le nom ou le numéro d'un département, par exemple « Bouches-du-Rhône » ou « 13 », « 2A », « 971 », "
    "ou une commune avec son code postal : « Marseille (13001) »"
)


class NotADepartment(ValueError):
    """The message, in French, says what was expected."""


def department_key(text: str) -> str:
    """A name as it is compared: folded, its words split at spaces, hyphens and apostrophes."""
    return " ".join(re.sub(r"[-'’_.,]", " ", fold(text)).split())


_BY_NAME = {department_key(name): code for code, name in DEPARTMENTS.items()} | {
    "reunion": "974",
    "belfort": "90",
    "corse du sud": "2A",
    "haute corse": "2B",
}
# A commune's code: postal (13001, 20090) or INSEE (13055, 2A004).
COMMUNE_CODE = re.compile(r"(?<![\w])(\d{5}|2[AB]\d{3})(?![\w])", re.IGNORECASE)
DEPARTMENT_CODE = r"(\d{1,3}|2[AB])"


def label(code: str) -> str:
    """ "Bouches-du-Rhône (13)"; a code the list does not hold (stored before it was shipped) as it is."""
    return f"{DEPARTMENTS[code]} ({code})" if code in DEPARTMENTS else code


def _code(text: str) -> str | None:
    code = text.upper()
    if code.isdigit() and len(code) < 3:
        code = code.zfill(2)
    return code if code in DEPARTMENTS else None


def commune_department(commune: str) -> str | None:
    """The department of a commune written with its postal or INSEE code, None when it is written without one."""
    match = COMMUNE_CODE.search(commune)
    if match is None:
        return None
    code = match.group(1).upper()
    if code.startswith(("2A", "2B")):
        department = code[:2]
    elif code.startswith("97"):
        department = code[:3]
    elif code.startswith("20"):
        department = "2A" if int(code) < 20200 else "2B"
    else:
        department = code[:2]
    if department not in DEPARTMENTS:
        raise NotADepartment(f"Le code {code} n'est celui d'aucune commune d'un département français.")
    return department


def find_department(text: str) -> str | None:
    """The code of the department the text names: by its name, whatever its case and accents ("bouches du
    rhone"), its number ("13", "2a", "971"), both ("Bouches-du-Rhône (13)", "13 - Bouches-du-Rhône"), or a
    commune with its code. None for an empty text; NotADepartment when it names none, or two."""
    text = " ".join(text.split())
    if not text:
        return None
    if COMMUNE_CODE.search(text):
        return commune_department(text)
    if (code := _code(text)) is not None:
        return code
    name, number = text, None
    if trailing := re.fullmatch(rf"(.+?)\s*\(\s*{DEPARTMENT_CODE}\s*\)", text, re.IGNORECASE):
        name, number = trailing.groups()
    elif leading := re.fullmatch(rf"{DEPARTMENT_CODE}\s*[-–—:]?\s*(\D.*)", text, re.IGNORECASE):
        number, name = leading.groups()
    code = None if number is None else _code(number)
    if number is not None and code is None:
        raise NotADepartment(f"« {number} » n'est le numéro d'aucun département : {EXPECTED}.")
    by_name = _BY_NAME.get(department_key(name))
    if by_name is None:
        raise NotADepartment(f"« {text} » n'est pas un département : {EXPECTED}.")
    if code is not None and code != by_name:
        raise NotADepartment(
            f"Le département {code} est « {DEPARTMENTS[code]} », pas « {DEPARTMENTS[by_name]} » : corrigez le nom "
            "ou le numéro."
        )
    return by_name
