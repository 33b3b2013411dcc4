/// The indices of `items` in groups: each item joins the first group whose first item (its lead) it is `same` as, or
/// starts a new one. Groups are in the order of their leads, indices increasing within a group.
///
/// - Complexity: O(n g) calls of `same` for `n` items in `g` groups.
package func indexGroups<Item>(_ items: [Item], _ same: (Item, Item) -> Bool) -> [[Int]] {
    var groups: [[Int]] = []
    for (index, item) in items.enumerated() {
        if let group = groups.firstIndex(where: { same(items[$0[0]], item) }) {
            groups[group].append(index)
        } else {
            groups.append([index])
        }
    }
    return groups
}
