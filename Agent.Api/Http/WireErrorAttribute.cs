namespace Agent.Api.Http;

/// <summary>
/// Gives the 422 details <see cref="WireBody"/> answers for one field of a wire record: <see cref="TypeError"/> when the
/// value has the wrong JSON type (or a required field is absent), <see cref="ValueError"/> when it has the right type
/// but does not convert (an enum spelling the enum does not have, a number out of range).
/// </summary>
/// <param name="typeError">
/// The detail for a value of the wrong JSON type, e.g. <c>"config must be an object."</c>. In both details <c>{0}</c> stands
/// for the wire spellings of an enum field, comma-separated, and <c>{1}</c> for the value as JSON (shortened).
/// </param>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class WireErrorAttribute(string typeError) : Attribute
{
    /// <summary>Gets the detail for a value of the wrong JSON type, or for an absent required field.</summary>
    public string TypeError { get; } = typeError;

    /// <summary>
    /// Gets or sets the detail for a value of the right type that does not convert. Default is <see cref="TypeError"/>.
    /// </summary>
    public string? ValueError { get; set; }

    /// <summary>Gets or sets a value indicating whether an explicit JSON <c>null</c> is refused. Default is false: null reads as absent.</summary>
    public bool NullIsError { get; set; }
}
