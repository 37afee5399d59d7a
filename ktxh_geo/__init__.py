"""ktxh-geo: map and planning viewer for the 2024 socio-economic plan of Yên Thế district."""

__version__ = "0.1.0"
