"""议事协商: topics, meetings and plans, one-household-one-vote, 公示 and follow-up.

Layer 6, above the features and the ranking: a topic may come from a 随手拍 report and an
adopted plan may become a crowdfunding project.
"""
