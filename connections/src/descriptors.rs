//! The open-file limit, raised at start to fit the connection cap.

/// Descriptors kept for what is not a client connection: the listener, the
/// database and Redis pools, the resolver, log and key files.
const RESERVED: u64 = 256;

/// Raises the soft open-file limit towards the hard one so that `wanted`
/// connections fit beside the reserve, and returns the connection cap that
/// fits: `wanted`, or less (with a warning) when the hard limit is lower.
pub fn connection_cap(wanted: usize) -> usize {
    let needed = wanted as u64 + RESERVED;
    match rlimit::increase_nofile_limit(needed) {
        Ok(got) if got >= needed => wanted,
        Ok(got) => {
            let fits = usize::try_from(got.saturating_sub(RESERVED))
                .unwrap_or(usize::MAX)
                .max(1);
            tracing::warn!(
                wanted,
                open_file_limit = got,
                max_connections = fits,
                "the open-file limit is below SIGNET_MAX_CONNECTIONS plus {RESERVED}: \
                 serving fewer connections (raise `ulimit -Hn` or LimitNOFILE)"
            );
            fits
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read or raise the open-file limit");
            wanted
        }
    }
}
