from descentlab.cli import main

raise SystemExit(main())
