namespace Maple.Data;

/// <summary>Which classes of a dataset a base-to-novel run uses (CoOp's <c>SUBSAMPLE_CLASSES</c>).</summary>
public enum Subset
{
    /// <summary>Every class, labels unchanged.</summary>
    All,

    /// <summary>The first half of the sorted labels (the larger half when the count is odd), relabelled from 0.</summary>
    Base,

    /// <summary>The remaining labels (CoOp calls them "new"), relabelled from 0.</summary>
    Novel,
}
