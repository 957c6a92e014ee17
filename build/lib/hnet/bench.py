"""``python -m hnet.bench``: the measured costs; the tool itself lives in ``hnet.tools.bench``."""

from hnet.tools.bench import main

if __name__ == "__main__":
    raise SystemExit(main())
