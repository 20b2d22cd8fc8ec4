import sys

from synnefo.daemons.manage import main

sys.exit(main())
