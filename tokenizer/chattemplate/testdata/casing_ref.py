# casing_ref.py writes casing_ref.json, the reference casing_test.go checks
# pyUpper/pyLower/pyTitle/pyCapitalize against: Python's own str methods.
#   /usr/bin/python3 testdata/casing_ref.py   (from tokenizer/chattemplate)
import json
import sys
import unicodedata

def ranges(pred):
    out, lo = [], None
    for cp in range(sys.maxunicode + 2):
        ok = cp <= sys.maxunicode and not (0xD800 <= cp < 0xE000) and pred(cp)
        if ok and lo is None:
            lo = cp
        elif not ok and lo is not None:
            out.append([lo, cp - 1])
            lo = None
    return out

def assigned(cp):
    return unicodedata.category(chr(cp)) != 'Cn'

# Cased and Case_Ignorable are not exposed by Python; its final-sigma rule
# reads them, so probe it: X+'Σ' lowers to a final ς only if X is cased and
# not case-ignorable, and 'A'+X+'Σ' also does if X is case-ignorable.
def cased(cp):
    return (chr(cp) + 'Σ').lower().endswith('ς')

def ignorable(cp):
    return not cased(cp) and ('A' + chr(cp) + 'Σ').lower().endswith('ς')

maps = []
for cp in range(sys.maxunicode + 1):
    if 0xD800 <= cp < 0xE000:
        continue
    c = chr(cp)
    if c.upper() != c or c.lower() != c or c.title() != c:
        maps.append([cp, c.upper(), c.lower(), c.title()])

words = ['ΟΔΟΣ ΣΑΣ', 'Σ', 'ΑΣ', 'ΑΣ.', "ΑΣ'Α", 'ΑΣ\u0301', 'Σ\u0301Α', 'ΑΣΑ', 'Α.Σ', '1Σ', 'ΑΣ1',
         'ὈΔΥΣΣΕΎΣ', 'straße', 'ﬁne ﬂow', 'İstanbul', 'ǅemal ǆ', 'ŉ', 'ᾳ ᾼ', 'hELLO wORLD', "they're bill's",
         'ΣΑΣ ΣΑΣ', 'aΣ b', 'A\u00adΣ', 'ǰ', '\u0345Σ', 'ԱՄԵՆ ﬓ', '123abc DEF', '']
strings = [[w, w.upper(), w.lower(), w.title(), w.capitalize()] for w in words]

json.dump({'python': sys.version.split()[0], 'unicode': unicodedata.unidata_version,
           'assigned': ranges(assigned), 'cased': ranges(cased), 'ignorable': ranges(ignorable),
           'maps': maps, 'strings': strings},
          open('testdata/casing_ref.json', 'w'), ensure_ascii=False, separators=(',', ':'))
