/* A large WASI program for the run-to-exit benchmark: SQLite (its ~2,500-function amalgamation,
 * from the libsqlite3-sys crate) driven through a fixed workload on an in-memory database:
 * inserts, an index, aggregates, a join, sorting and string functions. Prints a checksum line
 * per query so that every runtime's output can be compared. */
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"

static int print_row(void *label, int n, char **values, char **names) {
    (void)names;
    printf("%s:", (const char *)label);
    for (int i = 0; i < n; i++) printf(" %s", values[i] ? values[i] : "NULL");
    printf("\n");
    return 0;
}

static void exec(sqlite3 *db, const char *label, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, print_row, (void *)label, &err) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", label, err);
        exit(1);
    }
}

int main(int argc, char **argv) {
    int rows = argc > 1 ? atoi(argv[1]) : 20000;
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
    exec(db, "schema", "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, category INTEGER, price REAL);"
                       "CREATE TABLE category(id INTEGER PRIMARY KEY, label TEXT);");
    exec(db, "begin", "BEGIN");
    sqlite3_stmt *insert;
    sqlite3_prepare_v2(db, "INSERT INTO item(name, category, price) VALUES (?, ?, ?)", -1, &insert, NULL);
    unsigned seed = 12345;
    for (int i = 0; i < rows; i++) {
        char name[32];
        seed = seed * 1103515245u + 12345u;
        snprintf(name, sizeof name, "item-%08x", seed);
        sqlite3_bind_text(insert, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(insert, 2, (int)(seed >> 16) % 50);
        sqlite3_bind_double(insert, 3, (seed % 100000) / 100.0);
        sqlite3_step(insert);
        sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    exec(db, "categories", "WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 49) "
                           "INSERT INTO category SELECT x, 'category ' || x FROM c");
    exec(db, "commit", "COMMIT");
    exec(db, "index", "CREATE INDEX item_price ON item(price)");
    exec(db, "count", "SELECT count(*), round(sum(price), 2), round(avg(price), 4) FROM item");
    exec(db, "cheapest", "SELECT name, price FROM item ORDER BY price, name LIMIT 3");
    exec(db, "by category", "SELECT c.label, count(*), round(max(i.price), 2) FROM item i JOIN category c "
                            "ON c.id = i.category GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT 5");
    exec(db, "like", "SELECT count(*) FROM item WHERE name LIKE '%ab%'");
    exec(db, "range", "SELECT count(*) FROM item WHERE price BETWEEN 100 AND 200");
    exec(db, "strings", "SELECT upper(substr(name, 6, 4)) AS k, count(*) FROM item GROUP BY k ORDER BY 2 DESC, 1 LIMIT 3");
    exec(db, "update", "UPDATE item SET price = price * 1.1 WHERE category < 10");
    exec(db, "after update", "SELECT round(sum(price), 2) FROM item");
    sqlite3_close(db);
    return 0;
}
