"""The ``commissioner`` command line: a thin edge over the centre, the pipeline and the features."""
