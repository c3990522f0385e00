namespace Agent.Api.Http;

/// <summary>
/// Marks a wire record whose object refuses fields it does not declare (an open record ignores them, as LangGraph's
/// request schemas do). <see cref="WireBody"/> answers the first unknown field with <see cref="Error"/>.
/// </summary>
/// <param name="error">
/// The 422 detail: <c>{0}</c> stands for the unknown field and <c>{1}</c> for the declared ones as an English list
/// (<c>a, b and c</c>), read from the record's generated JSON metadata.
/// </param>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class WireClosedAttribute(string error) : Attribute
{
    /// <summary>Gets the 422 detail format.</summary>
    public string Error { get; } = error;
}
