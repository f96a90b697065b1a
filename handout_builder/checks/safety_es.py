"""Checks stage: the Spanish words of the safety and plain-language rules (safety.py), in one place.

Each list is a tuple of regular expressions, matched case-insensitively on whole words of the printed text.
"""

EMERGENCY_SIGNS = (
    r"dolor (?:de|en el) pecho", r"dolor (?:de|en el) pecho(?:,| o) (?:la |de )?(?:mandíbula|brazo)",
    r"le falta el aire", r"falta de aire", r"(?:dificultad|problemas?) para respirar", r"no (?:puede|poder) respirar",
    r"(?:debilidad|entumecimiento|adormecimiento)(?: o (?:debilidad|entumecimiento|adormecimiento))? (?:en|de) "
    r"un (?:solo )?lado",
    r"habla arrastrada", r"(?:dificultad|problemas?) para hablar", r"le cuesta hablar",
    r"cara caída", r"se le cae (?:un lado de )?la cara", r"caída de (?:un lado de )?la cara",
    r"(?:un lado de )?la cara (?:se )?(?:le )?cae",
    r"desmay(?:o|os|arse|a|e)", r"se desmaya", r"pierde el conocimiento",
    r"hinchazón de (?:la )?(?:cara|los labios|la lengua|la garganta)(?: o (?:de )?(?:la )?(?:cara|garganta))?",
    r"(?:cara|garganta|labios|lengua) hinchad[oa]s?",
    r"ataques? al corazón", r"ataques? cardíacos?", r"infartos?",
    r"derrames? cerebral(?:es)?", r"accidentes? cerebrovascular(?:es)?", r"ictus",
    r"coágulos?(?: de sangre)?(?: en (?:los |el )?pulm[oó]n(?:es)?)?", r"embolias? pulmonar(?:es)?",
    r"reacci(?:ón|ones) alérgicas? graves?", r"anafila\w+",
)
CALL_CLINIC = (
    r"llámenos", r"llámanos", r"avísenos", r"comuníquese con nosotros", r"contáctenos",
    r"llame a (?:la clínica|nuestra clínica|nuestro consultorio|su dermatólog[oa]|su médic[oa])",
)
EMERGENCY_NUMBER = (r"911", r"número (?:local )?de emergencias", r"urgencias", r"sala de emergencias")

STATUS = (r"(?:no )?aprobad[oa]s?", r"aprob(?:ó|aron|ación|aciones)", r"sin aprobación", r"en revisión",
          r"bajo revisión", r"en evaluación", r"autorizad[oa]s?", r"autorización")
TABLE_POINTER = (r"(?:la|esta|nuestra) tabla", r"el cuadro")

DECIMAL = r"\d+(?:,\d+|\.\d{1,2}(?!\d))"  # "29,9"; "1.000" is a thousand
PER = (r"de cada", r"en", r"de", r"por cada")
LARGE = (r"mil", r"millones")
PERCENT = (r"%", r"por ciento")
RANGE = (r"[-–]", r"a", r"y")
STRENGTH = (r"cremas?", r"geles?", r"gel", r"pomadas?", r"ungüentos?", r"lociones?", r"loción", r"espumas?",
            r"soluciones?", r"solución", r"concentración")
PEOPLE = (r"personas?", r"pacientes?", r"adult[oa]s?", r"niñ[oa]s", r"de ell[oa]s")

DOSE = (r"\d+\s*(?:mg|miligramos?|g|gramos?)", r"tubos? de \d+\s*(?:g|gramos)")
STUDY = (r"estudios?", r"ensayos?")

EXPLAINED_AFTER = (r"\(", r",\s*(?:un|una|el|la|los|las|que|o|es decir|o sea|también llamad[oa])\b", r"\s+[-–—:]\s",
                   r"\s+(?:significa|quiere decir|es un|es una|es el|es la|son|o)\b")
EXPLAINED_BEFORE = (r"(?:llamad[oa]s?|se llama|conocid[oa]s? como|la palabra)\s+(?:el\s+|la\s+|los\s+|las\s+|un\s+|una\s+)?",)
# Everyday words the frequency list ranks below the threshold: household words, said more than written.
EVERYDAY = ("sarpullido", "ronchas", "raspones", "broncear", "adormecimiento")
# Inflections taken off a word to find its commonest form in the frequency list.
# the pronouns joined to a verb ("dígaselo", "pregúntenos", "taparse"); "X>Y": a verb's or adjective's
# ending replaced by its commonest form ("enfermaron": "enfermar", "preñados": "preñada").
ENDINGS = ("s", "es", "mente", "selo", "sela", "selos", "selas", "le", "les", "lo", "la", "los", "las", "nos",
           "me", "se", "te", "aron>ar", "ieron>er", "ieron>ir", "ó>ar", "ió>er", "ió>ir", "an>ar", "en>er",
           "en>ir", "ado>ar", "ada>ar", "ados>ar", "adas>ar", "ido>er", "ido>ir", "o>a", "os>a")
