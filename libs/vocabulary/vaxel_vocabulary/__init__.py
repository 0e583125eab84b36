"""The vocabulary every Växel service, the CLI and the simulator speak.

Business hours, contact points, pagination, validation, channels and the configuration models,
API scopes, configuration entity types, their proto converters, and the one tenant-configuration
replica. Services import this library and the generated protos, never each other's packages.
"""
