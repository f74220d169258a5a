"""Catalogue schema (pydantic) and loader."""

from costmodel.catalog.architecture import ModelConfig
from costmodel.catalog.lifecycle import LifecycleEvent, ServingPeriod
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
from costmodel.catalog.metrics import METRIC_PHASE
from costmodel.catalog.schema import (
    Catalogue,
    Gpu,
    GpuRental,
    Measurement,
    Model,
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
    "LifecycleEvent",
    "Measurement",
    "Model",
    "ModelConfig",
    "PriceSchedule",
    "ServingPeriod",
    "UnknownIdError",
    "check_text",
    "decode_text",
    "load_catalogue",
    "load_models_file",
    "parse_models_text",
    "parse_yaml_text",
    "stale_rows",
]
