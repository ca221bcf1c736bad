"""Run the Bürger-GIS portal (Dash UI + OGC API) as one process: ``python app.py``.

Same as ``python -m commands.serve``; ``./dev demo`` adds the demo import.
"""

from commands.serve import main

if __name__ == "__main__":
    main()
