//! The range checks shared by the scenario and instance readers: each
//! returns the value, or the message that the caller attaches to its field.

/// `v` must be finite.
pub(crate) fn finite(v: f64) -> Result<f64, String> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("must be a finite number, got {v}"))
    }
}

/// `v` must be finite and > 0.
pub(crate) fn positive(v: f64) -> Result<f64, String> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("must be a finite number > 0, got {v}"))
    }
}

/// `v` must be finite and ≥ 0.
pub(crate) fn non_negative(v: f64) -> Result<f64, String> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("must be a finite number in [0, ∞), got {v}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_non_finite_values() {
        assert_eq!(positive(1e-300), Ok(1e-300));
        assert!(positive(0.0).is_err() && positive(f64::INFINITY).is_err());
        assert_eq!(non_negative(0.0), Ok(0.0));
        assert!(non_negative(-1e-300).is_err() && non_negative(f64::NAN).is_err());
        assert!(finite(-5.0).is_ok() && finite(f64::NEG_INFINITY).is_err());
    }
}
