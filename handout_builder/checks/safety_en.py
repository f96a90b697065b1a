"""Checks stage: the English words of the safety and plain-language rules (safety.py), in one place.

Each list is a tuple of regular expressions, matched case-insensitively on whole words of the printed text.
"""

# Signs that need an ambulance, not a skin clinic: a heart attack, a stroke, a clot in the lungs, a severe
# allergic reaction, and the risks that cause them (the JAK inhibitors' boxed warning names them).
EMERGENCY_SIGNS = (
    r"chest (?:or (?:jaw|arm) )?pain", r"pain in (?:your |the )?chest",
    r"(?:sudden )?(?:trouble|difficulty|problems?) breathing", r"hard to breathe", r"can(?:no|')t breathe",
    r"(?:weakness|numbness)(?: or (?:weakness|numbness))? (?:on|in|of) one side", r"one-sided (?:weakness|numbness)",
    r"slurred speech", r"(?:trouble|difficulty|problems?) (?:talking|speaking)",
    r"(?:a |your )?face (?:that )?droops?", r"droop(?:s|ing|y) face", r"facial droop\w*",
    r"fainting", r"(?:you |feel )faint(?:s|ed)?", r"pass(?:es|ed|ing)? out",
    r"swelling of (?:your |the )?(?:face|lips|tongue|throat)", r"swollen (?:face|lips|tongue|throat)",
    r"(?:face|lips|tongue|throat)(?:,? (?:or|and) (?:your )?(?:face|lips|tongue|throat))* (?:swells?|swelling)",
    r"heart attacks?", r"strokes?", r"(?:blood )?clots? in (?:your |the )?lungs?", r"blood clots?", r"pulmonary embol\w+",
    r"severe allergic reactions?", r"anaphyla\w+",
)
# Words that send the reader to the clinic (the clinic's own name is added by the rule).
CALL_CLINIC = (
    r"call us", r"phone us", r"contact us", r"let us know", r"call (?:the|our) (?:clinic|office)",
    r"call your (?:dermatologist|doctor|care team|clinic)",
)
# Words that send the reader to emergency care: an emergency block says one of these.
EMERGENCY_NUMBER = (r"911", r"emergency number", r"emergency room", r"emergency department")

# A regulatory status; a sentence that says one needs a date (a year) or must point at the dated table.
STATUS = (r"(?:not |un)?approv(?:ed|al|als)", r"under review", r"being reviewed", r"authori[sz](?:ed|ation)")
TABLE_POINTER = (r"(?:the|this|our) (?:status )?table", r"table below", r"table above")

# Numbers of people: a decimal count ("29.9 in 100", "1.9 million"), a decimal percentage ("29.9%").
DECIMAL = r"\d+\.\d+"
PER = (r"in", r"out of", r"of every", r"for every")  # ... 100
LARGE = (r"thousand", r"million", r"billion")
PERCENT = (r"%", r"percent", r"per cent")
RANGE = (r"[-–]", r"to")  # "0.5–2%", "0.5 to 2%"
# A decimal percentage beside a product word is a strength ("1.5% cream", "cream (1.5%)"), not people.
STRENGTH = (r"creams?", r"gels?", r"ointments?", r"lotions?", r"foams?", r"solutions?", r"strength",
            r"shampoos?", r"sprays?")
PEOPLE = (r"people", r"persons?", r"patients?", r"adults?", r"children", r"teens?", r"of them", r"of those")

# A dose: in a sentence outside the dosing fields, an amount states a dose unless the sentence reports a
# study (a trial's doses are cited to the trial) .
DOSE = (r"\d+\s*(?:mg|milligrams?|g|grams?)", r"\d+[- ](?:gram|g) tubes?")
STUDY = (r"stud(?:y|ies)", r"trials?")

# A hard word is explained in its sentence when one of these follows it ("eczema, a kind of rash";
# "F-VASI (a score)"; "vehicle means ...") or precedes it ("a test called a biopsy").
EXPLAINED_AFTER = (r"\(", r",\s*(?:a|an|the|which|that is|or|also called|meaning|such as)\b", r"\s+[-–—:]\s",
                   r"\s+(?:means|mean|is a|is an|is the|are|or)\b")
EXPLAINED_BEFORE = (r"(?:called|named|known as|the word|the term)\s+(?:an?\s+|the\s+)?",)
# Everyday words the frequency list ranks below the threshold: household words, said more than written.
# Keep it short; a word here is one every adult reader knows.
EVERYDAY = ("breastfeed", "pimple", "sunburn", "numbness", "droop")
# Inflections taken off a word to find its commonest form in the frequency list.
ENDINGS = ("s", "es", "ed", "d", "ing", "ness", "ly")
