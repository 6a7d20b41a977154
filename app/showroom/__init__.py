"""Showroom reception (展厅接待): register each walk-in in seconds with the live duplicate check
and the day's retention rate, on the reception tablet.
"""
