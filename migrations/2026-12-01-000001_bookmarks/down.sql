DROP TABLE bookmark_imports;
DROP TABLE bookmarks;
DROP FUNCTION bookmark_words(TEXT[]);
