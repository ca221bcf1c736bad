"""Applications over the whole stack: the command line (``buergergis``, ``import-xplan``), the demo loader, and the
portal (API and Dash UI composed, ``portal.py``) with its server start (``python -m commands.serve``)."""
