import sys

from synnefo.daemons.vncauthproxy import main

sys.exit(main())
