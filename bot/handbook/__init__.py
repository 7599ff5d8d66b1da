"""Answering students' questions from the student handbook and curated Q&A."""
