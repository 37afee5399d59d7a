"""ktxh-geo: map and planning viewer for a locality's socio-economic plan; the locality is a profile (profiles/)."""

__version__ = "0.1.0"
