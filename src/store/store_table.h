/*
 * store_table.h - the store's tables as data: every table, its columns and their types, in one
 * list, for the operations that move whole rows between stores (store_copy.h) rather than the
 * records of model/.
 *
 * store_tables lists every table of the schema (store.h's picture, as of its newest migration)
 * in an order that inserts never break a foreign key: a table comes after the tables its rows
 * point to. A table's columns are named as on PostgreSQL, where every table that orders its rows
 * by insertion has a `seq` column; SQLite keeps some of those as the rowid instead
 * (STORE_TABLE_SEQ_ROWID). A row travels as an array of struct store_value, one per column in
 * the table's order; a value is typed by its column (text, integer, boolean). Everything here is
 * static and immutable: thread-safe. When a migration adds a table or a column, it is added here
 * too (unit/store_copy compares this list with both backends' schemas).
 */
#ifndef LB_STORE_STORE_TABLE_H
#define LB_STORE_STORE_TABLE_H

#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most columns of one table. */
#define STORE_TABLE_COLUMNS_MAX 32

enum store_column_type {
    STORE_COLUMN_TEXT,
    STORE_COLUMN_INT,  /* a 64-bit integer (times, counts, seq numbers) */
    STORE_COLUMN_BOOL, /* 0 or 1 (SQLite: an integer; PostgreSQL: BOOLEAN) */
};

struct store_column {
    const char *name;
    enum store_column_type type;
};

enum store_table_flags {
    /* column 0 is `seq`, a number the store gives each new row, ascending */
    STORE_TABLE_SEQ = 1 << 0,
    /* SQLite keeps that seq as the table's rowid, not as a column of its own */
    STORE_TABLE_SEQ_ROWID = 1 << 1,
    /* a seq is never given twice, even once its row is gone (SQLite: AUTOINCREMENT) */
    STORE_TABLE_SEQ_KEPT = 1 << 2,
};

struct store_table {
    const char *name;
    const struct store_column *columns;
    size_t column_count;
    size_t key_count; /* the first key_count columns identify a row; rows are read in their order */
    unsigned flags;   /* enum store_table_flags */
};

/* One column's value in a row: NULL, or `num` (integer and boolean columns) or `text` (text
 * columns; borrowed: it lives as long as whoever lends the row says). */
struct store_value {
    bool is_null;
    int64_t num;
    const char *text;
};

/* Called with each row of a table (table_count values, borrowed for the call); non-zero stops
 * the walk, and a negative answer is then the walk's. */
typedef int store_row_fn(void *ctx, const struct store_value *row);

/* Every table, parents before the tables that point to them. */
extern const struct store_table store_tables[];
extern const size_t store_table_count;

/* The table called name, or NULL. */
const struct store_table *store_table_find(const char *name);
/* Appends t's column names, quoted and comma-separated, to b; a SEQ_ROWID table's seq as
 * `rowid` when rowid is true (SQLite). */
void store_table_columns_sql(struct buf *b, const struct store_table *t, bool rowid);

#endif
