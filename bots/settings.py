"""Old name of `hkbot.settings`, kept so code written before the move still imports; new code imports `hkbot.settings`."""
from hkbot.settings import PROJECT_ROOT, bots_dir, config_path, data_dir, knowledge_dir, models_dir, var_dir

__all__ = ["PROJECT_ROOT", "bots_dir", "config_path", "data_dir", "knowledge_dir", "models_dir", "var_dir"]
