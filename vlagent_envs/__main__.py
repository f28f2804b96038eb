"""``python -m vlagent_envs`` (see :mod:`vlagent_envs.cli`)."""

import sys

from vlagent_envs.cli import main

sys.exit(main())
