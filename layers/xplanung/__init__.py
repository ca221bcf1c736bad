"""XPlanung: read XPlanGML plans of every type and version, validate and export them.

Modules, one job each:

* :mod:`~layers.xplanung.schema`: the XPlanung model per version, from the shipped official XSDs
* :mod:`~layers.xplanung.xml`: small lxml helpers (local names, texts, gml:ids, xlinks)
* :mod:`~layers.xplanung.gml`: GML geometry and CRS to shapely in the storage CRS
* :mod:`~layers.xplanung.objects`: every feature member as a :class:`~layers.xplanung.model.PlanObject`
* :mod:`~layers.xplanung.bplan`: the dedicated Bebauungsplan layers (Baugebiete with GRZ/GFZ/Z ...)
* :mod:`~layers.xplanung.rasters`: plan drawings warped for the web map
* :mod:`~layers.xplanung.validation`: XSD, geometry, references, Flächenschluss, Konformitätsregeln
* :mod:`~layers.xplanung.reader`: the entry point, :func:`read_xplan`
"""

from layers.xplanung.gml import XPlanError
from layers.xplanung.reader import PlanImport, read_xplan
from layers.xplanung.xml import xplan_version

__all__ = ["PlanImport", "XPlanError", "read_xplan", "xplan_version"]
