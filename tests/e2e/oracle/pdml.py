"""Reading tshark's PDML for the ops oracle (tests/e2e/ops_vs_tshark.py).

tshark -T pdml writes one <packet> per frame holding one <proto> element per
protocol layer, in order; a frame with several PDUs of a protocol holds several
<proto name="..."> elements.  Each <field> has name, show (the displayed
value), value (raw hex) and nested fields.  These helpers read them.
"""


def fields(elem, name):
    """Every field called `name` under elem (depth first, document order)."""
    return [f for f in elem.iter('field') if f.get('name') == name]


def first(elem, name):
    """The first field called `name` under elem, or None."""
    for f in elem.iter('field'):
        if f.get('name') == name:
            return f
    return None


def show(elem, name):
    """The displayed value of the first field `name`, or None."""
    f = first(elem, name)
    return None if f is None else f.get('show')


def num(elem, name):
    """The first field `name` as an int (decimal or 0x hex as tshark shows it), or None."""
    s = show(elem, name)
    return None if s is None else to_int(s)


def nums(elem, name):
    """Every field `name` under elem as ints."""
    return [to_int(f.get('show')) for f in fields(elem, name)]


def to_int(s):
    s = s.strip()
    if s.lower().startswith('0x'):
        return int(s, 16)
    if s in ('True', 'False'):
        return int(s == 'True')
    try:
        return int(s)
    except ValueError:
        return int(s.split()[0], 0)


def raw(elem, name):
    """The raw bytes (hex string from 'value') of the first field `name`, or None."""
    f = first(elem, name)
    return None if f is None else f.get('value')
