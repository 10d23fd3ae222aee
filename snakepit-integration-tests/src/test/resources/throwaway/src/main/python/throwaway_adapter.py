"""An adapter whose tool needs a package that only the managed environment has."""

from snakepit_bridge import BaseAdapter, tool


class ThrowawayAdapter(BaseAdapter):
    @tool(description="The version of six, imported from the managed environment")
    def six_version(self) -> str:
        import six

        return six.__version__
