// pgjdbc, the driver of DBeaver and Metabase, against the SQL endpoint. Run by
// tests/sql_server.rs as `java -cp /usr/share/java/postgresql.jar JdbcClient.java
// URL USER PASSWORD browse` or `... replay FILE` (Debian's libpostgresql-jdbc-java
// on default-jdk-headless, which runs a single source file; tests/run.sh installs them).
//
// browse: the metadata calls a tool makes to list the tables and columns, a
// prepared statement with typed results, and writes that must be refused.
// replay: each statement of FILE (ending in `;` at a line's end) as a prepared
// statement, as DBeaver and Metabase send them; a line per statement.
import java.nio.file.*;
import java.sql.*;

public class JdbcClient {
    public static void main(String[] args) throws Exception {
        try (Connection conn = DriverManager.getConnection(args[0], args[1], args[2])) {
            if (args[3].equals("replay")) {
                replay(conn, Files.readString(Path.of(args[4])));
            } else {
                browse(conn);
            }
        }
    }

    /** Runs each statement; prints `ok|rows|described|statement` or `failed|statement|message`. */
    static void replay(Connection conn, String file) throws SQLException {
        StringBuilder statement = new StringBuilder();
        for (String line : file.split("\n")) {
            if (line.startsWith("--") || line.isBlank()) continue;
            statement.append(line).append('\n');
            if (!line.stripTrailing().endsWith(";")) continue;
            String sql = statement.toString().strip();
            sql = sql.substring(0, sql.length() - 1);
            statement.setLength(0);
            sql = sql.replace("{oid:public}", oid(conn, "select oid from pg_catalog.pg_namespace where nspname = 'public'"));
            sql = sql.replace("{oid:kpi_wmo}", oid(conn, "select c.oid from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relname = 'kpi_wmo'"));
            String head = sql.replace('\n', ' ');
            head = head.substring(0, Math.min(60, head.length()));
            try (PreparedStatement prepared = conn.prepareStatement(sql)) {
                int rows = 0, described = 0;
                if (prepared.execute()) {
                    try (ResultSet result = prepared.getResultSet()) {
                        int description = -1;
                        ResultSetMetaData meta = result.getMetaData();
                        for (int i = 1; i <= meta.getColumnCount(); i++) {
                            if (meta.getColumnLabel(i).equals("description") || meta.getColumnLabel(i).equals("definition")) description = i;
                        }
                        while (result.next()) {
                            rows++;
                            if (description > 0 && result.getString(description) != null) described++;
                        }
                    }
                }
                System.out.println("ok|" + rows + "|" + described + "|" + head);
            } catch (SQLException e) {
                System.out.println("failed|" + head + "|" + e.getMessage().replace('\n', ' '));
            }
        }
    }

    static String oid(Connection conn, String query) throws SQLException {
        try (Statement statement = conn.createStatement(); ResultSet rows = statement.executeQuery(query)) {
            return rows.next() ? rows.getString(1) : "0";
        }
    }

    static void browse(Connection conn) throws SQLException {
        DatabaseMetaData meta = conn.getMetaData();
        System.out.println("product|" + meta.getDatabaseProductName() + "|" + meta.getDatabaseMajorVersion());
        try (ResultSet tables = meta.getTables(null, null, "kpi_%", new String[] {"TABLE", "VIEW"})) {
            while (tables.next()) {
                System.out.println("table|" + tables.getString("TABLE_SCHEM") + "|" + tables.getString("TABLE_NAME")
                    + "|" + tables.getString("TABLE_TYPE") + "|" + tables.getString("REMARKS"));
            }
        }
        try (ResultSet columns = meta.getColumns(null, null, "kpi_begroting", null)) {
            while (columns.next()) {
                System.out.println("column|" + columns.getString("COLUMN_NAME") + "|" + columns.getString("TYPE_NAME")
                    + "|" + columns.getInt("DATA_TYPE") + "|" + columns.getString("REMARKS"));
            }
        }
        String query = "select jaar, gerealiseerd from kpi_begroting where jaar = ?";
        try (PreparedStatement statement = conn.prepareStatement(query)) {
            statement.setInt(1, 2019);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    java.math.BigDecimal amount = rows.getBigDecimal("gerealiseerd");
                    System.out.println("prepared|" + rows.getInt("jaar") + "|" + amount.toPlainString());
                }
            }
        }
        try (Statement statement = conn.createStatement();
             ResultSet rows = statement.executeQuery("select min(periode_begin) from stg_perioden")) {
            rows.next();
            System.out.println("date|" + rows.getDate(1));
        }
        for (String write : new String[] {"drop table kpi_wmo", "insert into kpi_wmo (periode) values ('x')"}) {
            try (PreparedStatement statement = conn.prepareStatement(write)) {
                statement.execute();
                System.out.println("allowed|" + write);
            } catch (SQLException e) {
                System.out.println("refused|" + e.getSQLState() + "|" + e.getMessage().replace('\n', ' '));
            }
        }
        try (Statement statement = conn.createStatement(); ResultSet rows = statement.executeQuery("select 41 + 1")) {
            rows.next();
            System.out.println("after|" + rows.getInt(1));
        }
    }
}
