from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StatusCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATUS_UNKNOWN: _ClassVar[StatusCode]
    OK: _ClassVar[StatusCode]
    CREATED: _ClassVar[StatusCode]
    ACCEPTED: _ClassVar[StatusCode]
    NO_CONTENT: _ClassVar[StatusCode]
    BAD_REQUEST: _ClassVar[StatusCode]
    UNAUTHORIZED: _ClassVar[StatusCode]
    FORBIDDEN: _ClassVar[StatusCode]
    NOT_FOUND: _ClassVar[StatusCode]
    METHOD_NOT_ALLOWED: _ClassVar[StatusCode]
    CONFLICT: _ClassVar[StatusCode]
    UNPROCESSABLE_ENTITY: _ClassVar[StatusCode]
    TOO_MANY_REQUESTS: _ClassVar[StatusCode]
    INTERNAL_SERVER_ERROR: _ClassVar[StatusCode]
    NOT_IMPLEMENTED: _ClassVar[StatusCode]
    BAD_GATEWAY: _ClassVar[StatusCode]
    SERVICE_UNAVAILABLE: _ClassVar[StatusCode]
    GATEWAY_TIMEOUT: _ClassVar[StatusCode]
STATUS_UNKNOWN: StatusCode
OK: StatusCode
CREATED: StatusCode
ACCEPTED: StatusCode
NO_CONTENT: StatusCode
BAD_REQUEST: StatusCode
UNAUTHORIZED: StatusCode
FORBIDDEN: StatusCode
NOT_FOUND: StatusCode
METHOD_NOT_ALLOWED: StatusCode
CONFLICT: StatusCode
UNPROCESSABLE_ENTITY: StatusCode
TOO_MANY_REQUESTS: StatusCode
INTERNAL_SERVER_ERROR: StatusCode
NOT_IMPLEMENTED: StatusCode
BAD_GATEWAY: StatusCode
SERVICE_UNAVAILABLE: StatusCode
GATEWAY_TIMEOUT: StatusCode

class Response(_message.Message):
    __slots__ = ("status_code", "message", "data")
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    status_code: StatusCode
    message: str
    data: bytes
    def __init__(self, status_code: _Optional[_Union[StatusCode, str]] = ..., message: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class SqlRequest(_message.Message):
    __slots__ = ("sql",)
    SQL_FIELD_NUMBER: _ClassVar[int]
    sql: str
    def __init__(self, sql: _Optional[str] = ...) -> None: ...

class CreateFunctionRequest(_message.Message):
    __slots__ = ("config_bytes", "function_bytes")
    CONFIG_BYTES_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_BYTES_FIELD_NUMBER: _ClassVar[int]
    config_bytes: bytes
    function_bytes: bytes
    def __init__(self, config_bytes: _Optional[bytes] = ..., function_bytes: _Optional[bytes] = ...) -> None: ...

class PythonModule(_message.Message):
    __slots__ = ("module_name", "module_bytes")
    MODULE_NAME_FIELD_NUMBER: _ClassVar[int]
    MODULE_BYTES_FIELD_NUMBER: _ClassVar[int]
    module_name: str
    module_bytes: bytes
    def __init__(self, module_name: _Optional[str] = ..., module_bytes: _Optional[bytes] = ...) -> None: ...

class CreatePythonFunctionRequest(_message.Message):
    __slots__ = ("class_name", "modules", "config_content")
    CLASS_NAME_FIELD_NUMBER: _ClassVar[int]
    MODULES_FIELD_NUMBER: _ClassVar[int]
    CONFIG_CONTENT_FIELD_NUMBER: _ClassVar[int]
    class_name: str
    modules: _containers.RepeatedCompositeFieldContainer[PythonModule]
    config_content: str
    def __init__(self, class_name: _Optional[str] = ..., modules: _Optional[_Iterable[_Union[PythonModule, _Mapping]]] = ..., config_content: _Optional[str] = ...) -> None: ...

class FunctionInfo(_message.Message):
    __slots__ = ("name", "task_type", "status")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TASK_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    name: str
    task_type: str
    status: str
    def __init__(self, name: _Optional[str] = ..., task_type: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class DropFunctionRequest(_message.Message):
    __slots__ = ("function_name",)
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    function_name: str
    def __init__(self, function_name: _Optional[str] = ...) -> None: ...

class ShowFunctionsRequest(_message.Message):
    __slots__ = ("filter",)
    FILTER_FIELD_NUMBER: _ClassVar[int]
    filter: str
    def __init__(self, filter: _Optional[str] = ...) -> None: ...

class ShowFunctionsResponse(_message.Message):
    __slots__ = ("status_code", "message", "functions")
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    status_code: StatusCode
    message: str
    functions: _containers.RepeatedCompositeFieldContainer[FunctionInfo]
    def __init__(self, status_code: _Optional[_Union[StatusCode, str]] = ..., message: _Optional[str] = ..., functions: _Optional[_Iterable[_Union[FunctionInfo, _Mapping]]] = ...) -> None: ...

class StartFunctionRequest(_message.Message):
    __slots__ = ("function_name",)
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    function_name: str
    def __init__(self, function_name: _Optional[str] = ...) -> None: ...

class StopFunctionRequest(_message.Message):
    __slots__ = ("function_name",)
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    function_name: str
    def __init__(self, function_name: _Optional[str] = ...) -> None: ...

class CheckpointPosition(_message.Message):
    __slots__ = ("topic", "partition", "next_offset")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    NEXT_OFFSET_FIELD_NUMBER: _ClassVar[int]
    topic: str
    partition: int
    next_offset: int
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., next_offset: _Optional[int] = ...) -> None: ...

class CheckpointInfo(_message.Message):
    __slots__ = ("checkpoint_id", "created_at_ms", "size_bytes", "positions")
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    checkpoint_id: int
    created_at_ms: int
    size_bytes: int
    positions: _containers.RepeatedCompositeFieldContainer[CheckpointPosition]
    def __init__(self, checkpoint_id: _Optional[int] = ..., created_at_ms: _Optional[int] = ..., size_bytes: _Optional[int] = ..., positions: _Optional[_Iterable[_Union[CheckpointPosition, _Mapping]]] = ...) -> None: ...

class TriggerCheckpointRequest(_message.Message):
    __slots__ = ("function_name",)
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    function_name: str
    def __init__(self, function_name: _Optional[str] = ...) -> None: ...

class TriggerCheckpointResponse(_message.Message):
    __slots__ = ("status_code", "message", "checkpoint_id")
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    status_code: StatusCode
    message: str
    checkpoint_id: int
    def __init__(self, status_code: _Optional[_Union[StatusCode, str]] = ..., message: _Optional[str] = ..., checkpoint_id: _Optional[int] = ...) -> None: ...

class ListCheckpointsRequest(_message.Message):
    __slots__ = ("function_name",)
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    function_name: str
    def __init__(self, function_name: _Optional[str] = ...) -> None: ...

class ListCheckpointsResponse(_message.Message):
    __slots__ = ("status_code", "message", "checkpoints")
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    status_code: StatusCode
    message: str
    checkpoints: _containers.RepeatedCompositeFieldContainer[CheckpointInfo]
    def __init__(self, status_code: _Optional[_Union[StatusCode, str]] = ..., message: _Optional[str] = ..., checkpoints: _Optional[_Iterable[_Union[CheckpointInfo, _Mapping]]] = ...) -> None: ...

class RestoreCheckpointRequest(_message.Message):
    __slots__ = ("function_name", "checkpoint_id")
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    function_name: str
    checkpoint_id: int
    def __init__(self, function_name: _Optional[str] = ..., checkpoint_id: _Optional[int] = ...) -> None: ...
