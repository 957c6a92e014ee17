from hnet.run.cli import main

raise SystemExit(main())
