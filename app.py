"""Run the Bürger-GIS portal (Dash UI + OGC API) as one process: ``python app.py``.

Same as ``python -m api.serve``; ``./dev demo`` adds the demo import.
"""

from api.serve import main

if __name__ == "__main__":
    main()
