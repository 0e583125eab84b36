"""Adapters of client-tenant: gRPC servicers and converters, the configuration publisher."""
