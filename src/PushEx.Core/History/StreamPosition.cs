namespace PushEx.History;

/// <summary>
/// A place in a topic's history: <see cref="Epoch"/> names one unbroken history of the topic (it changes when the
/// history is lost: a single node restarts, Redis loses its data, the topic was forgotten), and <see cref="Offset"/>
/// counts its pushes, 1 for the first, growing by exactly 1 per push in the order subscribers receive them.
/// </summary>
/// <param name="Epoch">The history's name, an opaque string.</param>
/// <param name="Offset">The offset of a push in that history; 0 before its first push.</param>
public readonly record struct StreamPosition(string Epoch, long Offset);
