"""Catalogue schema (pydantic) and loader."""

from costmodel.catalog.loader import (
    DEFAULT_DATA_DIR,
    CatalogueError,
    check_text,
    decode_text,
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
    UnknownIdError,
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
    "UnknownIdError",
    "check_text",
    "decode_text",
    "load_catalogue",
    "load_models_file",
    "parse_models_text",
    "parse_yaml_text",
    "stale_rows",
]
