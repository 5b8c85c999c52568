/** The PostgreSQL schema the approval service owns. */
export const APPROVAL_SCHEMA = 'approval';
export const APPROVAL_SERVICE = 'approval';
