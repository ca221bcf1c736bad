"""Applications over the whole stack: the command line (``buergergis``, ``import-xplan``) and the demo loader."""
