from jiedao.core.demo import demo_step  # noqa: F401
