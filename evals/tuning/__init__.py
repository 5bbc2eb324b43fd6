"""Tools for tuning the answer planner on labelled questions that no evaluation set holds."""
