"""Catalogue schema (pydantic) and loader."""

from costmodel.catalog.loader import (
    DEFAULT_DATA_DIR,
    CatalogueError,
    load_catalogue,
    load_models_file,
    parse_models_text,
    parse_yaml_text,
    stale_rows,
)
from costmodel.catalog.schema import (
    METRIC_PHASE,
    Catalogue,
    Gpu,
    GpuRental,
    Measurement,
    Model,
    ModelConfig,
    PriceSchedule,
)

__all__ = [
    "DEFAULT_DATA_DIR",
    "METRIC_PHASE",
    "Catalogue",
    "CatalogueError",
    "Gpu",
    "GpuRental",
    "Measurement",
    "Model",
    "ModelConfig",
    "PriceSchedule",
    "load_catalogue",
    "load_models_file",
    "parse_models_text",
    "parse_yaml_text",
    "stale_rows",
]
