/// A minimal FIFO queue with amortised O(1) pop (array plus head index, compacted when half consumed).
struct FIFO<Element> {
    private var storage: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == storage.count }
    var count: Int { storage.count - head }

    mutating func append(contentsOf elements: some Sequence<Element>) { storage.append(contentsOf: elements) }

    mutating func removeFirst() -> Element {
        let element = storage[head]
        head += 1
        if head > 64 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// The queued elements in order, without removing them.
    var elements: ArraySlice<Element> { storage[head...] }

    mutating func drain() -> [Element] {
        defer {
            storage.removeAll()
            head = 0
        }
        return Array(storage[head...])
    }
}
