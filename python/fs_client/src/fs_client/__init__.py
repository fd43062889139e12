"""Function Stream control client.

``FsClient`` registers Python operators (``fs_api.FSProcessorDriver``
subclasses) and WASM modules on a Function Stream server over gRPC, and
starts, stops, lists and drops them, and triggers, lists and restores their
checkpoints. Build the task configuration with
``fs_client.config.WasmTaskBuilder``.
"""

from ._version import __version__
from .client import FsClient
from .config import Config, ConfigBuilder, KafkaInput, KafkaOutput, WasmTaskBuilder, WasmTaskConfig
from .exceptions import (
    AuthenticationError,
    BadRequestError,
    ClientError,
    ConflictError,
    FsError,
    FunctionStreamTimeoutError,
    InternalServerError,
    InvalidArgumentError,
    NetworkError,
    NotFoundError,
    PackagingError,
    PermissionDeniedError,
    ResourceExhaustedError,
    ServerError,
)
from .models import CheckpointInfo, CheckpointPosition, FunctionInfo, FunctionStatus, ShowFunctionsResult

__all__ = [
    "FunctionStatus",
    "__version__",
    "AuthenticationError",
    "BadRequestError",
    "CheckpointInfo",
    "CheckpointPosition",
    "ClientError",
    "Config",
    "ConfigBuilder",
    "ConflictError",
    "FsClient",
    "FsError",
    "FunctionInfo",
    "FunctionStreamTimeoutError",
    "InternalServerError",
    "InvalidArgumentError",
    "KafkaInput",
    "KafkaOutput",
    "NetworkError",
    "NotFoundError",
    "PackagingError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "ServerError",
    "ShowFunctionsResult",
    "WasmTaskBuilder",
    "WasmTaskConfig",
]
