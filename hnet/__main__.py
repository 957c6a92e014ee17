from hnet.cli import main

raise SystemExit(main())
