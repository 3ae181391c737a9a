import TokendClient

/// Fetches one page or (with `--all`) every page of a paged collection and prints it.
enum Paging {
    static func run(
        session: Session, path: String, query: [(String, String)], cursor: String?, all: Bool,
        itemsKey: String, header: [String], row: (JSONValue) -> [String]
    ) async throws {
        var nextCursor = cursor
        var items: [JSONValue] = []
        repeat {
            var pageQuery = query
            if let nextCursor { pageQuery.append(("cursor", nextCursor)) }
            let response = try await session.call("GET", path, query: pageQuery)
            if session.json && !all {
                Console.outRaw(response.body)
                return
            }
            let page = try session.parse(response)
            items += page[itemsKey]?.arrayValue ?? []
            nextCursor = page["next_cursor"]?.stringValue
        } while all && nextCursor != nil

        if session.json {
            // `--all --json`: every page merged into one answer of the same shape.
            Console.out(JSONValue.object([itemsKey: .array(items), "next_cursor": .null]).compactJSON + "\n")
            return
        }
        Console.out(TextTable.render(header: header, rows: items.map(row)))
        if let nextCursor {
            Console.err("tokenctl: more results: --cursor \(nextCursor) (or --all)\n")
        }
    }
}
