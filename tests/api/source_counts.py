"""Independent counts of the demo plans' objects, straight from the GML (no importer code)."""

from functools import lru_cache

from lxml import etree

from commands.demo import demo_plan_files

ELEMENTS = {
    "bp_plan": "BP_Plan",
    "bp_baugebiet": "BP_BaugebietsTeilFlaeche",
    "bp_textabschnitt": "BP_TextAbschnitt",
}


@lru_cache
def demo_counts() -> dict[str, int]:
    counts = dict.fromkeys(ELEMENTS, 0)
    for path in demo_plan_files():
        tree = etree.parse(str(path))
        for layer_id, name in ELEMENTS.items():
            counts[layer_id] += int(tree.xpath(f"count(//*[local-name()='{name}'])"))
    return counts
