"""Generated gRPC and protobuf code for proto/function_stream.proto.

Do not edit the ``function_stream_pb2*`` files: run ``scripts/gen_proto.sh``.
"""

from . import function_stream_pb2, function_stream_pb2_grpc

__all__ = ["function_stream_pb2", "function_stream_pb2_grpc"]
