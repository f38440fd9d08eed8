"""星级楼栋: the monthly star-building contest, its scores, ranking, red flag and reward.

Layer 5, above the features: a building's participation counts volunteer hours, accepted
reports and attended crowdfunding labour, and the month's reward may be paid into a
crowdfunding project.
"""
