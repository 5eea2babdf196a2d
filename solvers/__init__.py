"""HiGHS option profiles (``*.toml``), chosen with ``consortium solve --profile NAME``."""
